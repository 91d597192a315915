package dev.reel.nn;

/** The activation applied after a bias by {@link Layers#biasAct}. */
public enum Activation {
    /** The biased value itself. */
    NONE(0),
    /** GELU, tanh form: {@code 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))}. */
    GELU_TANH(1),
    /** SiLU: {@code x*sigmoid(x)}. */
    SILU(2);

    private final int code;

    Activation(int code) {
        this.code = code;
    }

    /** The {@code reel_activation} value of the C API. */
    public int code() {
        return code;
    }
}
