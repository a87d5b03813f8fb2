from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from firstrun.views import home

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Where an admin gives each person the role the console assumes for them.
    path("admin/", admin.site.urls),
    path("", include("firstrun.urls")),
    # Before clusters: its clusters/<name>/<tab>/ would take clusters/<name>/what-was-created/.
    path("", include("hosts.urls")),
    path("", include("clusters.urls")),
    path("", include("resources.urls")),
    path("", include("classroom.urls")),
    path("", include("accounts.urls")),
]

# A missing page is still a console page: top bar, breadcrumb, one sentence, a way back.
handler404 = "clusters.views.page_not_found"
