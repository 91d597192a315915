package dev.reel.model;

/**
 * A prompt the vocabulary cannot encode: an unknown word (the message lists the known
 * ones), a word where the grammar expects another kind (the message says what was
 * expected), or too many words. A caller's mistake, so an {@link IllegalArgumentException}.
 */
public class PromptException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String prompt;

    public PromptException(String prompt, String message) {
        super(message);
        this.prompt = prompt;
    }

    /** The prompt as the caller gave it. */
    public String prompt() {
        return prompt;
    }
}
