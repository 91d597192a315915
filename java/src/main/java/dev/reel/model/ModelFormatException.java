package dev.reel.model;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A model file that Reel refuses: a safetensors header, offset, dtype or shape that does
 * not hold, a config.json field of the wrong type or out of range, a vocabulary that does
 * not fit, a missing or unreadable file. The message is
 * {@code "<file>: <subject>: <problem>"}, where the subject is the tensor, the JSON field,
 * or the part of the file (for example {@code header}) that is wrong.
 *
 * <p>Unchecked, like {@link dev.reel.ReelException}: a caller that opens a model has
 * nothing to do with a bad file except report it.
 */
public class ModelFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String subject;
    private final String problem;

    public ModelFormatException(String file, String subject, String problem) {
        this(file, subject, problem, null);
    }

    public ModelFormatException(String file, String subject, String problem, Throwable cause) {
        super(Objects.requireNonNull(file, "file") + ": " + Objects.requireNonNull(subject, "subject") + ": "
                + Objects.requireNonNull(problem, "problem"), cause);
        this.file = file;
        this.subject = subject;
        this.problem = problem;
    }

    public ModelFormatException(Path file, String subject, String problem) {
        this(String.valueOf(file), subject, problem, null);
    }

    public ModelFormatException(Path file, String subject, String problem, Throwable cause) {
        this(String.valueOf(file), subject, problem, cause);
    }

    /** The file (a path, or a resource name for the embedded model) that holds the problem. */
    public String file() {
        return file;
    }

    /** What in the file is wrong: a tensor name, a JSON field, {@code header}, {@code file}, ... */
    public String subject() {
        return subject;
    }

    /** What is wrong with it. */
    public String problem() {
        return problem;
    }
}
