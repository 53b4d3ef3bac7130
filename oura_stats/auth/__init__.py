"""Getting a token: OAuth2 endpoints, the login listener, the credentials file, providers."""
