from django.apps import AppConfig


class FirstRunConfig(AppConfig):
    name = "firstrun"
    verbose_name = "ECS first run"
