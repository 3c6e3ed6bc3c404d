"""Samattha: the Flask application (factory in plugin.app, config, views, CLI, standard, mapping, portfolios).

Importing a submodule runs this file first, so it imports nothing: a package that pulled in the app here
would tie every module to every other one."""

__all__: list[str] = []
