"""Prints the PJRT C API version (major.minor) of a PJRT plugin .so: loads it
with ctypes and calls GetPjrtApi. Used by install-xla-cpu.sh and
find-cuda-plugin.sh. Usage: python3 pjrt_api_version.py PLUGIN.so"""
import ctypes
import sys


class Version(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("extension_start", ctypes.c_void_p),
                ("major", ctypes.c_int), ("minor", ctypes.c_int)]


class Api(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("extension_start", ctypes.c_void_p),
                ("version", Version)]


fn = ctypes.CDLL(sys.argv[1], mode=getattr(ctypes, "RTLD_LOCAL", 0)).GetPjrtApi
fn.restype = ctypes.POINTER(Api)
v = fn().contents.version
print(f"{v.major}.{v.minor}")
