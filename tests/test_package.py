import inspect

import keras

import keras_gated as kg


def _public_classes():
    return [
        getattr(kg, name)
        for name in kg.__all__
        if inspect.isclass(getattr(kg, name))
    ]


def test_all_lists_exactly_the_public_names():
    assert len(kg.__all__) == len(set(kg.__all__))
    for name in kg.__all__:
        assert hasattr(kg, name), name
    exported = {
        name
        for name, value in vars(kg).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
    }
    assert exported <= set(kg.__all__)


def test_version_is_a_string():
    assert isinstance(kg.__version__, str) and kg.__version__


def test_every_public_class_is_registered_under_keras_gated():
    for cls in _public_classes():
        name = keras.saving.get_registered_name(cls)
        assert name == f"keras_gated>{cls.__name__}", cls
        assert keras.saving.get_registered_object(name) is cls


def test_every_public_class_has_a_docstring_with_a_reference():
    for cls in _public_classes():
        doc = inspect.getdoc(cls)
        assert doc and ("Reference" in doc or "References" in doc), cls
