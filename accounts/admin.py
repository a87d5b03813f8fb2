from django.contrib import admin

from .models import AwsIdentity


@admin.register(AwsIdentity)
class AwsIdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "role_arn", "updated_at"]
    search_fields = ["user__username", "role_arn"]
    autocomplete_fields = ["user"]
