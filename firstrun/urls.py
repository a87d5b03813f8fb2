from django.urls import path

from . import views

app_name = "firstrun"

urlpatterns = [
    path("firstrun/", views.get_started, name="get_started"),
]
