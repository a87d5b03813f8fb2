from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("account/clean-up/", views.clean_up_my_account, name="clean_up"),
]
