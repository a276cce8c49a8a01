"""bp_ctypes - a thin ctypes binding of libbackplane for the PyTorch oracle.

Only what the oracle needs: devices, tensors from and to numpy arrays (any
strides, through bp_tensor_as_strided), scalars, and bp_op_run with
attributes. Every failing call raises BpError with bp_last_error().
"""
import ctypes
import os

import numpy as np

OK = 0

# bp_dtype_t codes (bp_abi.h) and their numpy storage types. bf16 has no numpy
# type: it travels as its raw 16 bits (uint16).
DTYPES = {
    "bool": (1, np.bool_), "u8": (2, np.uint8), "i8": (3, np.int8),
    "i32": (4, np.int32), "i64": (5, np.int64), "f16": (6, np.float16),
    "bf16": (7, np.uint16), "f32": (8, np.float32), "f64": (9, np.float64),
}
CODE_TO_NAME = {code: name for name, (code, _) in DTYPES.items()}

ATTR_INT, ATTR_INTS, ATTR_FLOAT, ATTR_BOOL, ATTR_DTYPE = 1, 2, 3, 4, 5


class _AttrValue(ctypes.Union):
    _fields_ = [("i", ctypes.c_int64), ("f", ctypes.c_double), ("b", ctypes.c_bool),
                ("dtype", ctypes.c_uint32), ("ints", ctypes.POINTER(ctypes.c_int64))]


class Attr(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("type", ctypes.c_uint32),
                ("name", ctypes.c_char_p), ("count", ctypes.c_uint32), ("value", _AttrValue)]


class BpError(Exception):
    def __init__(self, status, message):
        super().__init__(f"status {status}: {message}")
        self.status = status
        self.message = message


def bf16_bits_to_f32(bits):
    bits = np.asarray(bits)
    return (bits.reshape(-1).astype(np.uint32) << 16).view(np.float32).reshape(bits.shape)


def f32_to_bf16_bits(values):
    """Round-to-nearest-even f32 -> bf16 bits (NaN kept quiet)."""
    u = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(values, dtype=np.float32))
    rounded[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded.reshape(np.shape(values))  # ascontiguousarray makes 0-dim arrays 1-D


class Lib:
    def __init__(self, path=None):
        path = path or os.environ.get("BP_LIB")
        if not path:
            raise RuntimeError("set BP_LIB to the path of libbackplane.so")
        self.c = ctypes.CDLL(path)
        c = self.c
        vp, i64p = ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64)
        c.bp_last_error.restype = ctypes.c_char_p
        c.bp_device_get.argtypes = [ctypes.c_char_p, ctypes.POINTER(vp)]
        c.bp_tensor_create.argtypes = [vp, ctypes.c_uint32, ctypes.c_int32, i64p, ctypes.POINTER(vp)]
        c.bp_tensor_create_from_host.argtypes = [vp, ctypes.c_uint32, ctypes.c_int32, i64p, vp,
                                                 ctypes.c_size_t, ctypes.POINTER(vp)]
        c.bp_tensor_copy_to_host.argtypes = [vp, vp, ctypes.c_size_t]
        c.bp_tensor_as_strided.argtypes = [vp, ctypes.c_int32, i64p, i64p, ctypes.c_int64,
                                           ctypes.POINTER(vp)]
        c.bp_tensor_release.argtypes = [vp]
        c.bp_tensor_release.restype = None
        c.bp_tensor_ndim.argtypes = [vp]
        c.bp_tensor_ndim.restype = ctypes.c_int32
        c.bp_tensor_shape.argtypes = [vp]
        c.bp_tensor_shape.restype = i64p
        c.bp_tensor_dtype.argtypes = [vp]
        c.bp_tensor_dtype.restype = ctypes.c_uint32
        c.bp_tensor_numel.argtypes = [vp]
        c.bp_tensor_numel.restype = ctypes.c_int64
        c.bp_tensor_create_scalar.argtypes = [ctypes.c_double, ctypes.POINTER(vp)]
        c.bp_tensor_create_scalar_int.argtypes = [ctypes.c_int64, ctypes.POINTER(vp)]
        c.bp_op_find.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint32)]
        c.bp_op_count.restype = ctypes.c_uint32
        c.bp_op_name.argtypes = [ctypes.c_uint32]
        c.bp_op_name.restype = ctypes.c_char_p
        c.bp_op_run.argtypes = [ctypes.c_uint32, ctypes.c_uint32, ctypes.POINTER(vp), ctypes.c_uint32,
                                ctypes.POINTER(Attr), ctypes.c_uint32, ctypes.POINTER(vp)]
        self.ref = self.device("ref:0")

    def check(self, status):
        if status != OK:
            raise BpError(status, self.c.bp_last_error().decode())

    def device(self, name):
        d = ctypes.c_void_p()
        self.check(self.c.bp_device_get(name.encode(), ctypes.byref(d)))
        return d

    def op_names(self):
        return [self.c.bp_op_name(i).decode() for i in range(self.c.bp_op_count())]

    # ---- tensors ----

    def tensor(self, array, dtype, layout="contiguous", device=None):
        """A tensor holding `array` (logical values, numpy) in `layout`:
        contiguous, transposed (dims reversed in memory), strided (every
        other element of the last dim), or offset (contiguous after a gap)."""
        code, np_type = DTYPES[dtype]
        values = np.asarray(array)
        if dtype == "bf16":
            values = f32_to_bf16_bits(values.astype(np.float32)) if values.dtype != np.uint16 else values
        values = values.astype(np_type)
        shape, ndim = values.shape, values.ndim
        if layout == "transposed" and ndim >= 2:
            base = np.ascontiguousarray(values.transpose(list(range(ndim))[::-1]))
            strides = [1] * ndim
            acc = 1
            for d in range(ndim):  # base dim order reversed: dim d has stride prod(shape[:d])
                strides[d] = acc
                acc *= shape[d]
            offset = 0
        elif layout == "strided" and ndim >= 1:
            big = list(shape)
            big[-1] = 2 * shape[-1]
            base = np.zeros(big, dtype=np_type)
            base[..., ::2] = values
            strides = [int(s // values.itemsize) for s in base[..., ::2].strides]
            offset = 0
        elif layout == "offset":
            base = np.concatenate([np.zeros(3, dtype=np_type), values.reshape(-1)])
            strides = [int(s // values.itemsize) for s in np.empty(shape, np_type).strides]
            offset = 3
        else:
            base = np.ascontiguousarray(values)
            strides = [int(s // values.itemsize) for s in base.strides] if values.size else [0] * ndim
            offset = 0
        flat = np.ascontiguousarray(base).reshape(-1)
        owner = ctypes.c_void_p()
        one = (ctypes.c_int64 * 1)(flat.size)
        self.check(self.c.bp_tensor_create_from_host(device or self.ref, code, 1, one,
                                                     flat.ctypes.data_as(ctypes.c_void_p),
                                                     flat.nbytes, ctypes.byref(owner)))
        view = ctypes.c_void_p()
        cshape = (ctypes.c_int64 * max(1, ndim))(*shape)
        cstrides = (ctypes.c_int64 * max(1, ndim))(*strides)
        status = self.c.bp_tensor_as_strided(owner, ndim, cshape, cstrides, offset, ctypes.byref(view))
        self.c.bp_tensor_release(owner)
        self.check(status)
        return view

    def empty(self, shape, dtype, device=None):
        t = ctypes.c_void_p()
        cshape = (ctypes.c_int64 * max(1, len(shape)))(*shape)
        self.check(self.c.bp_tensor_create(device or self.ref, DTYPES[dtype][0], len(shape), cshape,
                                           ctypes.byref(t)))
        return t

    def scalar(self, value):
        t = ctypes.c_void_p()
        if isinstance(value, (bool, int, np.integer)):
            self.check(self.c.bp_tensor_create_scalar_int(int(value), ctypes.byref(t)))
        else:
            self.check(self.c.bp_tensor_create_scalar(float(value), ctypes.byref(t)))
        return t

    def dtype_of(self, t):
        return CODE_TO_NAME[self.c.bp_tensor_dtype(t)]

    def numpy(self, t):
        """The tensor's values as numpy (bf16 widened to f32)."""
        ndim = self.c.bp_tensor_ndim(t)
        shape = tuple(self.c.bp_tensor_shape(t)[i] for i in range(ndim))
        dtype = self.dtype_of(t)
        out = np.empty(shape, dtype=DTYPES[dtype][1])
        self.check(self.c.bp_tensor_copy_to_host(t, out.ctypes.data_as(ctypes.c_void_p), out.nbytes))
        return bf16_bits_to_f32(out) if dtype == "bf16" else out

    def release(self, *tensors):
        for t in tensors:
            if t:
                self.c.bp_tensor_release(t)

    # ---- ops ----

    def run(self, op, inputs, attrs=None, outputs=None, num_outputs=1):
        """Runs op; attrs is a dict name -> int | float | bool | list[int] |
        ('dtype', name). Returns the output tensors (new ones owned by the
        caller, given ones as passed)."""
        op_id = ctypes.c_uint32()
        self.check(self.c.bp_op_find(op.encode(), ctypes.byref(op_id)))
        attrs = attrs or {}
        keep = []
        arr = (Attr * max(1, len(attrs)))()
        for i, (name, value) in enumerate(attrs.items()):
            a = arr[i]
            a.struct_size = ctypes.sizeof(Attr)
            key = name.encode()
            keep.append(key)
            a.name = key
            a.count = 1
            if isinstance(value, tuple) and value[0] == "dtype":
                a.type, a.value.dtype = ATTR_DTYPE, DTYPES[value[1]][0]
            elif isinstance(value, bool):
                a.type, a.value.b = ATTR_BOOL, value
            elif isinstance(value, (int, np.integer)):
                a.type, a.value.i = ATTR_INT, int(value)
            elif isinstance(value, float):
                a.type, a.value.f = ATTR_FLOAT, value
            else:
                ints = (ctypes.c_int64 * max(1, len(value)))(*value)
                keep.append(ints)
                a.type, a.count = ATTR_INTS, len(value)
                a.value.ints = ctypes.cast(ints, ctypes.POINTER(ctypes.c_int64))
        ins = (ctypes.c_void_p * max(1, len(inputs)))(*[t.value if t else None for t in inputs])
        n_out = len(outputs) if outputs is not None else num_outputs
        outs = (ctypes.c_void_p * max(1, n_out))(*([t.value for t in outputs] if outputs else [None] * n_out))
        self.check(self.c.bp_op_run(op_id.value, len(inputs), ins, len(attrs), arr, n_out, outs))
        return [ctypes.c_void_p(outs[i]) for i in range(n_out)]
