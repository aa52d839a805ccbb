from setuptools import setup

setup(cffi_modules=["interp/_ffi_build.py:builder"])
