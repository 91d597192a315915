package dev.reel;

/** Element types of tensors: storage formats; arithmetic accumulates in fp32. */
public enum DType {
    F32(4, 0),
    BF16(2, 1),
    F16(2, 2);

    private final int bytes;
    private final int code;

    DType(int bytes, int code) {
        this.bytes = bytes;
        this.code = code;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The {@code reel_dtype} value of the C API. */
    public int code() {
        return code;
    }
}
