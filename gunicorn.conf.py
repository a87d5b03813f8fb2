"""gunicorn, the console's web server in `make run` (supervisord.d/web.conf) and in
docker-compose.yml; each gives its own --bind.

Sized to the machine: one worker process per core, so Python runs on every core at once (a
process runs one thread of Python at a time), and threads in each worker for the requests that
mostly wait: on AWS (the ECS Instances tab, the wizard's drop-downs) and on the database. A
classroom's status polls are short, so 2 cores x 8 threads answer 16 requests at once.
WEB_CONCURRENCY (workers, gunicorn's own variable) and WEB_THREADS change the numbers.
"""

import gc
import os

wsgi_app = "ecsconsole.wsgi:application"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)))
threads = int(os.environ.get("WEB_THREADS") or 8)
# Every request on the process's output, as runserver printed them (make run labels the lines).
accesslog = "-"
# Beside supervisord's socket in the data directory, rather than one per user in ~/.gunicorn:
# two consoles on one machine (a person's and the tests') must not share it.
control_socket = os.path.join(os.environ.get("DATA_DIR", "var"), "gunicorn.ctl")


def post_worker_init(worker):
    """Once the app is loaded, move what loading it made (Django, the console's modules) out of
    the garbage collector's sight, as gc.freeze() allows: a full collection then walks only what
    requests make. The ECS Instances tab of 1,000 hosts makes hundreds of thousands of objects
    and so sets off several full collections; with the app frozen it answered in 1.6 s instead
    of 2.2 s (make bench, docs/benchmarks.md)."""
    gc.freeze()
