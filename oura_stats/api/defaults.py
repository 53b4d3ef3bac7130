"""What the API client does unless told otherwise: where it asks, how long it waits for an
answer, how often it tries a request.

Kept apart from `client` (which needs requests) so that the command line can show them
without importing the HTTP stack.
"""

DEFAULT_BASE_URL = "https://api.ouraring.com"
READ_TIMEOUT = 60.0  # seconds to wait for an answer to one request
ATTEMPTS = 5  # tries per request for 5xx, network errors and bad bodies
