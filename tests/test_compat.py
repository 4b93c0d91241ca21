"""Only `keras_gated/_compat.py` may import Keras' private `keras.src`."""

import ast
import pathlib

import keras_gated

PACKAGE = pathlib.Path(keras_gated.__file__).parent


def _private_keras_imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            if name == "keras.src" or name.startswith("keras.src."):
                yield node.lineno, name


def test_only_the_compat_module_touches_keras_src():
    offenders = {
        str(path.relative_to(PACKAGE)): list(_private_keras_imports(path))
        for path in PACKAGE.rglob("*.py")
        if path.name != "_compat.py"
    }
    offenders = {path: found for path, found in offenders.items() if found}
    assert offenders == {}
    # And no module spells the path in other ways (importlib, getattr).
    for path in PACKAGE.rglob("*.py"):
        if path.name != "_compat.py":
            assert "keras.src" not in path.read_text(), path


def test_the_compat_module_does_use_it():
    # Guards the test above against scanning the wrong folder.
    assert list(_private_keras_imports(PACKAGE / "_compat.py"))
