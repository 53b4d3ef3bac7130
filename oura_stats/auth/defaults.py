"""What logging in uses unless told otherwise: the variable that names the credentials
file, how long a login waits for the browser's redirect.

Kept apart from the login flow (an HTTP listener, requests) so that the command line can
show them without importing it.
"""

CREDENTIALS_ENV = "OURA_CREDENTIALS_FILE"
LOGIN_TIMEOUT = 300.0  # seconds
