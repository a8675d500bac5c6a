"""Failures as pveproxy sends them.

An API error carries the HTTP status and the message; the HTTP layer puts
the message's first line in the status line (reason phrase) and the whole
text in the body's "message", with "errors" for parameter failures, like
PVE::APIServer::Formatter::Standard does for the json format.
"""


class ApiError(Exception):
    def __init__(self, status, message, errors=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def die(msg):
    """A Perl `die "...\\n"` in an API handler: 500 with that text."""
    raise ApiError(500, msg if msg.endswith("\n") else msg + "\n")


def param_exc(errors):
    """PVE::Exception::raise_param_exc."""
    raise ApiError(400, "Parameter verification failed.\n", errors)


def perm_exc(what=None):
    """PVE::Exception::raise_perm_exc: 403 'Permission check failed (...)'."""
    raise ApiError(403, f"Permission check failed ({what})\n" if what else "Permission check failed\n")
