from django.urls import path

from . import views

app_name = "clusters"

urlpatterns = [
    path("region/", views.choose_region, name="choose_region"),
    path("clusters/", views.cluster_list, name="list"),
    path("clusters/<str:name>/", views.cluster_detail, name="detail"),
    path("clusters/<str:name>/scale/", views.scale_instances, name="scale"),
    path("clusters/<str:name>/delete/", views.delete_cluster, name="delete"),
    path(
        "clusters/<str:name>/container-insights/",
        views.enable_container_insights,
        name="enable_container_insights",
    ),
    path(
        "clusters/<str:name>/container-instances/<str:instance_id>/",
        views.container_instance_detail,
        name="container_instance",
    ),
    path(
        "clusters/<str:name>/container-instances/<str:instance_id>/deregister/",
        views.deregister_container_instance,
        name="deregister",
    ),
    path("clusters/<str:name>/<slug:tab>/", views.cluster_detail, name="detail_tab"),
    path("create-cluster/", views.choose_template, name="create"),
    path("create-cluster/<str:template>/", views.configure_cluster, name="configure"),
    path("operations/<int:pk>/", views.operation_status, name="operation"),
]
