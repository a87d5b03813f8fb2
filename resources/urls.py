from django.urls import path

from . import views

app_name = "resources"

urlpatterns = [
    path("key-pairs/new/", views.create_key_pair, name="create_key_pair"),
]
