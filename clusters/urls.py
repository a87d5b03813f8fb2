from django.urls import path

from . import views

app_name = "clusters"

urlpatterns = [
    path("region/", views.choose_region, name="choose_region"),
    path("clusters/", views.cluster_list, name="list"),
    path("clusters/<str:name>/", views.cluster_detail, name="detail"),
    path("create-cluster/", views.choose_template, name="create"),
    path("create-cluster/<str:template>/", views.configure_cluster, name="configure"),
    path("operations/<int:pk>/", views.operation_status, name="operation"),
]
