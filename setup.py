"""Build script for zkgate's compiled kernels.

Every ``zkgate/_native/*.pyx`` becomes an extension module, compiled with ``-O3`` and
OpenMP when the compiler supports it (falling back to a serial build otherwise).  No
``-march=native``: faster instruction sets are chosen at run time inside the C code, so
one wheel runs on every x86-64 machine.  Set ``ZKGATE_NO_OPENMP=1`` to force the serial
build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

HERE = Path(__file__).resolve().parent
NATIVE_DIR = Path("zkgate") / "_native"


def compiler_accepts(flag: str) -> bool:
    """Whether the C compiler compiles and links a small OpenMP program with ``flag``."""
    cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not cc:
        return False
    source = "#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel\n{n=omp_get_num_threads();}\nreturn n<0;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text(source)
        result = subprocess.run(
            [cc, flag, str(src), "-o", str(Path(tmp) / "probe")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return result.returncode == 0


def native_extensions() -> list[Extension]:
    use_openmp = os.environ.get("ZKGATE_NO_OPENMP", "") in ("", "0") and compiler_accepts("-fopenmp")
    if not use_openmp:
        print("zkgate: OpenMP not available, building serial kernels", file=sys.stderr)
    compile_args = ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-Wno-unused-function"]
    link_args: list[str] = []
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    if use_openmp:
        compile_args.append("-fopenmp")
        link_args.append("-fopenmp")
        macros.append(("ZKGATE_OPENMP", "1"))
    extensions = []
    # every extension depends on every header, so editing a header rebuilds what includes it
    headers = [str(NATIVE_DIR / h.name) for h in sorted((HERE / NATIVE_DIR).glob("*.h"))]
    for pyx in sorted((HERE / NATIVE_DIR).glob("*.pyx")):
        module = "zkgate._native." + pyx.stem
        extensions.append(
            Extension(
                module,
                sources=[str(NATIVE_DIR / pyx.name)],
                include_dirs=[str(NATIVE_DIR), numpy.get_include()],
                extra_compile_args=compile_args,
                extra_link_args=link_args,
                define_macros=macros,
                depends=headers,
            )
        )
    return cythonize(
        extensions,
        compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False},
        quiet=True,
    )


def packages() -> tuple[list[str], dict[str, str]]:
    """zkgate's packages; the top-level ``services/`` folder installs as ``zkgate.services``.

    A wheel must not put a package called ``services`` into site-packages, so the gRPC
    gateway is mapped into zkgate's namespace.
    """
    # services/ (gateway/, client/, parties/, cli/, v1/) maps into zkgate.services; every subpackage has an __init__.py
    names = find_packages(include=["zkgate", "zkgate.*"], exclude=["zkgate.services", "zkgate.services.*"])
    package_dir: dict[str, str] = {}
    if (HERE / "services" / "__init__.py").exists():
        for sub in find_packages(where="services"):
            names.append(f"zkgate.services.{sub}")
            package_dir[f"zkgate.services.{sub}"] = "services/" + sub.replace(".", "/")
        names.append("zkgate.services")
        package_dir["zkgate.services"] = "services"
    return names, package_dir


PACKAGES, PACKAGE_DIR = packages()

setup(ext_modules=native_extensions(), packages=PACKAGES, package_dir=PACKAGE_DIR)
