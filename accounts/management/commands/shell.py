"""manage.py shell: Django 5.2's automatic model imports, plus the apps' service and selector functions."""

import inspect
from importlib import import_module

from django.core.management.commands import shell

FUNCTION_MODULES = [
    "accounts.selectors",
    "accounts.services",
    "organization.services",
    "posts.selectors",
    "posts.services",
]


def _public_functions(module_path: str) -> list[str]:
    module = import_module(module_path)
    return [
        f"{module_path}.{name}"
        for name, obj in vars(module).items()
        if inspect.isfunction(obj) and obj.__module__ == module_path and not name.startswith("_")
    ]


class Command(shell.Command):
    def get_auto_imports(self):
        functions = [path for module in FUNCTION_MODULES for path in _public_functions(module)]
        return [*super().get_auto_imports(), *functions]
