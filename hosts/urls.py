from django.urls import path

from . import views

app_name = "hosts"

urlpatterns = [
    path(
        "clusters/<str:name>/container-instances/<str:instance_id>/host/",
        views.read_host,
        name="read",
    ),
    path(
        "clusters/<str:name>/ec2-instances/<str:instance_id>/host/",
        views.read_ec2_host,
        name="read_ec2",
    ),
    path("host-readings/<int:pk>/", views.host_reading, name="reading"),
    path("clusters/<str:name>/what-was-created/", views.what_was_created, name="checklist"),
]
