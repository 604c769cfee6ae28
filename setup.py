"""Build the parallel-tempering kernel ``ext/ptmc.pyx`` as ``spinglass_ml._ptmc``.

OpenMP (threads over disorder instances) is found at build time: a small OpenMP test library is compiled,
linked and loaded with the compiler and flags that build the extension. ``-fopenmp`` is tried first (GCC;
clang with an OpenMP runtime); on macOS then ``-Xpreprocessor -fopenmp -lomp`` with Homebrew's libomp
(``brew --prefix libomp``). If none works, the kernel is built without OpenMP and runs on one thread, with a
warning in the build output (``pip install -v`` shows it; docs/install.md).

Environment switches:
  SPINGLASS_NO_OPENMP=1   build without OpenMP, without trying it: one thread only.
  SPINGLASS_CFLAGS="..."  extra compiler flags, e.g. "-march=native" on a machine that builds and runs
                          (opt-in: a binary tied to one CPU breaks clusters whose nodes differ).
"""

import glob
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
# -fno-trapping-math lets GCC if-convert the float compares of the Metropolis loop and vectorise it;
# it assumes no floating-point traps and changes no result. No FMA contraction, so every instruction-set
# path of the kernel gives bit-identical results.
BASE_FLAGS = ["-O3", "-fno-trapping-math", "-ffp-contract=off"]
USER_FLAGS = shlex.split(os.environ.get("SPINGLASS_CFLAGS", ""))
NO_OPENMP = os.environ.get("SPINGLASS_NO_OPENMP", "0") not in ("", "0")

PROBE_SOURCE = r"""
#include <omp.h>
int spinglass_openmp_probe(void) {
    int n = 0;
#pragma omp parallel reduction(+ : n)
    n += 1;
    return n >= 1 ? omp_get_max_threads() : 0;
}
"""
LOAD_PROBE = "import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).spinglass_openmp_probe())"


def log(message: str) -> None:
    print(f"spinglass-ml: {message}", file=sys.stderr, flush=True)


def homebrew_libomp() -> str | None:
    """Homebrew's libomp prefix: ``brew --prefix libomp`` if brew runs, else its usual places."""
    brew = shutil.which("brew")
    if brew:
        try:
            out = subprocess.run([brew, "--prefix", "libomp"], capture_output=True, text=True, timeout=120)
            prefix = out.stdout.strip()
            if out.returncode == 0 and os.path.isfile(os.path.join(prefix, "include", "omp.h")):
                return prefix
        except (OSError, subprocess.SubprocessError):
            pass
    for prefix in ("/opt/homebrew/opt/libomp", "/usr/local/opt/libomp"):
        if os.path.isfile(os.path.join(prefix, "include", "omp.h")):
            return prefix
    return None


def openmp_candidates():
    """(description, options) to try in turn; options as Extension keyword lists."""
    yield "-fopenmp", {"compile": ["-fopenmp"], "link": ["-fopenmp"], "include_dirs": [], "library_dirs": []}
    if sys.platform == "darwin":
        prefix = homebrew_libomp()
        if prefix is None:
            log("Homebrew's libomp not found (brew install libomp)")
        else:
            yield (
                f"-Xpreprocessor -fopenmp -lomp with {prefix}",
                {
                    "compile": ["-Xpreprocessor", "-fopenmp"],
                    "link": ["-lomp"],
                    "include_dirs": [os.path.join(prefix, "include")],
                    "library_dirs": [os.path.join(prefix, "lib")],
                },
            )


def probe(compiler, options) -> str | None:
    """None if a library using OpenMP compiles, links and runs with these options; else why not."""
    with tempfile.TemporaryDirectory(prefix="spinglass-openmp-") as tmp:
        source = os.path.join(tmp, "probe.c")
        with open(source, "w") as f:
            f.write(PROBE_SOURCE)
        try:
            objects = compiler.compile(
                [source],
                output_dir=tmp,
                include_dirs=options["include_dirs"],
                extra_postargs=BASE_FLAGS + options["compile"] + USER_FLAGS,
            )
            library = os.path.join(tmp, "probe" + (compiler.shared_lib_extension or ".so"))
            compiler.link_shared_object(
                objects,
                library,
                library_dirs=options["library_dirs"],
                extra_postargs=options["link"],
            )
        except Exception as err:  # CompileError, LinkError, or a compiler that cannot run
            return f"{type(err).__name__} (the compiler's message is above)"
        # loaded and called in a child process: a symbol left unresolved until the call aborts that process
        run = subprocess.run(
            [sys.executable, "-c", LOAD_PROBE, library], capture_output=True, text=True, timeout=120
        )
        if run.returncode != 0 or not run.stdout.strip().isdigit() or int(run.stdout) < 1:
            lines = (run.stderr or run.stdout or f"exit code {run.returncode}").strip().splitlines()
            return f"the test library does not load or run ({lines[-1][-300:]})"
        return None


class BuildExt(build_ext):
    """build_ext that sets the OpenMP options found for the configured compiler (``self.compiler``)."""

    def build_extensions(self):
        found = None
        if NO_OPENMP:
            log("SPINGLASS_NO_OPENMP set: building the kernel without OpenMP (one thread)")
        else:
            failures = []
            for description, options in openmp_candidates():
                log(f"checking OpenMP with {description} ...")
                why = probe(self.compiler, options)
                if why is None:
                    log(f"OpenMP: yes ({description})")
                    found = options
                    break
                failures.append(f"{description}: {why}")
            if found is None:
                tried = "; ".join(failures or ["nothing"])
                log(
                    "WARNING: no working OpenMP with this compiler; building the kernel WITHOUT OpenMP: "
                    "it runs on ONE thread whatever num_threads says (same results, only slower). "
                    f"Tried: {tried}. See docs/install.md (Linux: gcc; macOS: brew install libomp). "
                    "SPINGLASS_NO_OPENMP=1 skips this check."
                )
        found = found or {"compile": [], "link": [], "include_dirs": [], "library_dirs": []}
        for ext in self.extensions:
            ext.extra_compile_args = BASE_FLAGS + found["compile"] + USER_FLAGS
            ext.extra_link_args = list(found["link"])
            ext.include_dirs = list(ext.include_dirs) + found["include_dirs"]
            ext.library_dirs = list(ext.library_dirs) + found["library_dirs"]
        super().build_extensions()


ext = Extension(
    "spinglass_ml._ptmc",
    ["ext/ptmc.pyx"],
    include_dirs=["ext"],
    # every header of the kernel: a change to any of them rebuilds it
    depends=sorted(f"ext/{name}" for name in glob.glob("*.h", root_dir=os.path.join(HERE, "ext"))),
    extra_compile_args=BASE_FLAGS + USER_FLAGS,  # OpenMP options are added by BuildExt
)

setup(
    ext_modules=cythonize([ext], compiler_directives={"language_level": 3}, compile_time_env={}),
    cmdclass={"build_ext": BuildExt},
)
