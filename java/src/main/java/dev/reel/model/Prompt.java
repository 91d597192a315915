package dev.reel.model;

import java.util.Arrays;

/**
 * An encoded prompt: {@code <s>} then one token id per word, padded with {@code <pad>} to
 * the vocabulary's {@code max_tokens}; {@link #length()} counts the valid ids ({@code <s>}
 * included, so the empty, unconditional prompt has length 1).
 */
public final class Prompt {
    private final String text;
    private final int[] ids;
    private final int length;

    Prompt(String text, int[] ids, int length) {
        this.text = text;
        this.ids = ids;
        this.length = length;
    }

    /** The normalised words joined by single spaces (lower case, punctuation dropped, articles fixed). */
    public String text() {
        return text;
    }

    /** The token ids, {@code max_tokens} of them (a copy). */
    public int[] ids() {
        return ids.clone();
    }

    /** The number of valid ids, {@code <s>} included. */
    public int length() {
        return length;
    }

    /** Whether this is the empty prompt, {@code [<s>]}. */
    public boolean isUnconditional() {
        return length == 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prompt && ((Prompt) o).length == length && Arrays.equals(((Prompt) o).ids, ids)
                && ((Prompt) o).text.equals(text);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return "Prompt(\"" + text + "\", " + Arrays.toString(Arrays.copyOf(ids, length)) + ")";
    }
}
