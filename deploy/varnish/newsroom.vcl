# Varnish in front of Newsroom (README, "CDN"): caches what the app marks public, for as long
# as its Cache-Control says, and drops pages by surrogate key when content changes.
#
# Run the app with SURROGATE_KEY_HEADER=xkey, CDN_PURGER=varnish and
# VARNISH_PURGE_URLS=http://127.0.0.1:6081/ (this Varnish's address as the app reaches it;
# purges are accepted from the addresses in acl purgers only). Needs the xkey module
# (Debian: apt-get install varnish varnish-modules). Varnish 6 or 7.
vcl 4.1;

import xkey;

# The app servers (gunicorn, BIND): one here; a director spreads over several.
backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .first_byte_timeout = 35s;  # the app gives up on a request after about 30 s
}

# Who may purge: the app servers.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Name the keys to purge in xkey-purge"));
        }
        # Space-separated keys; every page carries "everything", so that one drops them all.
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone + " objects"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Staff pages, never cached by anyone (the app says private, no-store anyway).
    if (req.url ~ "^/(admin|preview)/" || req.url ~ "^/healthz") {
        return (pass);
    }
    # A session (staff) or credentials make the request someone's own: straight to the app,
    # which answers it privately. SESSION_COOKIE_NAME is Django's default, sessionid.
    if (req.http.Authorization || req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # Other cookies (analytics, a CSRF token from the login page) change nothing the app
    # shows readers: dropped, so every reader shares one copy.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    # Varnish's built-in rules follow the app's Cache-Control: s-maxage or max-age for how
    # long, stale-while-revalidate for grace; private, no-store, no-cache or Set-Cookie are
    # never stored. The app bounds all of them by the next scheduled publication.
    # The keys: from the header the app was told to send (xkey), or Fastly's name for it.
    if (!beresp.http.xkey && beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
}

sub vcl_deliver {
    # The keys are for this cache, not for browsers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
}
