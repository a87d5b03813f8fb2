from django.urls import path

from . import views

app_name = "resources"

# A resource's page sits under the cluster it was reached from, so its breadcrumb leads back.
CLUSTER = "clusters/<str:name>/"

urlpatterns = [
    path("key-pairs/new/", views.create_key_pair, name="create_key_pair"),
    path(f"{CLUSTER}ec2-instances/<str:resource_id>/", views.ec2_instance, name="ec2_instance"),
    path(
        f"{CLUSTER}auto-scaling-groups/<str:resource_id>/",
        views.auto_scaling_group,
        name="auto_scaling_group",
    ),
    path(
        f"{CLUSTER}launch-templates/<str:resource_id>/",
        views.launch_template,
        name="launch_template",
    ),
    path(
        f"{CLUSTER}security-groups/<str:resource_id>/", views.security_group, name="security_group"
    ),
    path(f"{CLUSTER}iam-roles/<str:resource_id>/", views.iam_role, name="iam_role"),
    path(f"{CLUSTER}stacks/<str:resource_id>/", views.stack, name="stack"),
] + [
    path(
        f"{CLUSTER}stacks/<str:resource_id>/template.{template_format}",
        views.stack_template,
        {"template_format": template_format},
        name=f"stack_template_{template_format}",
    )
    for template_format in views.TemplateFormat.values
]
