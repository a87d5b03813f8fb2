from django.urls import path

from . import views

app_name = "classroom"

urlpatterns = [
    path("class/", views.class_page, name="class"),
    path("class/progress.csv", views.class_csv, name="csv"),
    path("class/learners/<str:username>/reset/", views.reset_learner, name="reset"),
]
