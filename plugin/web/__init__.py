"""Web views: thin handlers over the domain functions. plugin.web.blueprints lists them for the factory; this
file imports none, since the views import their siblings through this package."""

__all__: list[str] = []
