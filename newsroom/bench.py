"""The benchmark's baseline: a trivial view behind the same middleware as every page.

``bench/run`` reports each page's throughput as a ratio to this view, which settles what the
machine, the server and Django itself cost before any Newsroom code runs. It is routed only
when ``NEWSROOM_BENCH`` is on (see ``newsroom/urls.py``).
"""

from django.http import HttpResponse
from django.urls import path


def hello(request):
    return HttpResponse("Hello, world!\n", content_type="text/plain; charset=utf-8")


urlpatterns = [path("_bench/hello", hello, name="bench_hello")]
