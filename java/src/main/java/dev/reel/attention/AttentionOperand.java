package dev.reel.attention;

/**
 * Memory the caller owns holding one attention operand {@code [B, tokens, heads, d]}
 * with element strides for the batch, token and head axes; the head-dim axis is
 * contiguous. Used by the raw-address overload of
 * {@link SpacetimeAttention#forward(dev.reel.Device, dev.reel.DType, long, long, long, AttentionOperand,
 * AttentionOperand, AttentionOperand, AttentionOperand, long, long, long, long)}, for example
 * to read Q, K and V in place from one packed {@code [B, N, 3, heads, d]} buffer.
 */
public final class AttentionOperand {
    private final long address;
    private final long strideBatch;
    private final long strideToken;
    private final long strideHead;

    private AttentionOperand(long address, long strideBatch, long strideToken, long strideHead) {
        this.address = address;
        this.strideBatch = strideBatch;
        this.strideToken = strideToken;
        this.strideHead = strideHead;
    }

    /** A strided view; strides count elements, not bytes. */
    public static AttentionOperand of(long address, long strideBatch, long strideToken, long strideHead) {
        if (address == 0) {
            throw new IllegalArgumentException("address is null (0)");
        }
        if (strideBatch < 0 || strideToken < 0 || strideHead < 0) {
            throw new IllegalArgumentException("strides must be >= 0, got (" + strideBatch + ", " + strideToken + ", "
                    + strideHead + ")");
        }
        return new AttentionOperand(address, strideBatch, strideToken, strideHead);
    }

    /** A dense row-major {@code [B, tokens, heads, headDim]} buffer. */
    public static AttentionOperand contiguous(long address, long tokens, long heads, long headDim) {
        if (tokens < 1 || heads < 1 || headDim < 1) {
            throw new IllegalArgumentException("tokens, heads and headDim must be >= 1, got " + tokens + ", " + heads
                    + ", " + headDim);
        }
        return of(address, Math.multiplyExact(Math.multiplyExact(tokens, heads), headDim), heads * headDim, headDim);
    }

    public long address() {
        return address;
    }

    public long strideBatch() {
        return strideBatch;
    }

    public long strideToken() {
        return strideToken;
    }

    public long strideHead() {
        return strideHead;
    }

    @Override
    public String toString() {
        return String.format("AttentionOperand(0x%x, strides %d, %d, %d)", address, strideBatch, strideToken,
                strideHead);
    }
}
