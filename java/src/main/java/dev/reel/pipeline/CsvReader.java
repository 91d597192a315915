package dev.reel.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 records from text, one at a time, with the line each starts on. A
 * malformed record comes back with an error and the reader goes on at the next
 * line; an unterminated quote ends the text.
 */
final class CsvReader {
    /** One record: its fields, or an error; {@code text} is the record as written, without its line break. */
    record Record(long line, String text, List<String> fields, String error) {
        boolean blank() {
            return error == null && fields.size() == 1 && fields.get(0).isBlank();
        }
    }

    private final String text;
    private int pos;
    private long line = 1;

    CsvReader(String text) {
        this.text = text;
    }

    /** The next record, or null at the end of the text. */
    Record next() {
        if (pos >= text.length()) {
            return null;
        }
        long startLine = line;
        int start = pos;
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean fieldStarted = false;
        while (true) {
            if (pos >= text.length()) {
                fields.add(field.toString());
                return new Record(startLine, text.substring(start, pos), fields, null);
            }
            char c = text.charAt(pos);
            if (c == '"' && !fieldStarted) {
                long quoteLine = line;
                pos++;
                while (true) {
                    if (pos >= text.length()) {
                        return new Record(startLine, text.substring(start), List.of(), "the quoted field opened on "
                                + "line " + quoteLine + " is never closed");
                    }
                    char q = text.charAt(pos);
                    if (q == '"') {
                        if (pos + 1 < text.length() && text.charAt(pos + 1) == '"') {
                            field.append('"');
                            pos += 2;
                            continue;
                        }
                        pos++;
                        break;
                    }
                    if (q == '\n') {
                        line++;
                    }
                    field.append(q);
                    pos++;
                }
                fieldStarted = true;
                if (pos < text.length() && !isEnd(text.charAt(pos)) && text.charAt(pos) != ',') {
                    return skipLine(startLine, start, "text after a closing quote (a quote inside a quoted field is "
                            + "written twice: \"\")");
                }
                continue;
            }
            if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                fieldStarted = false;
                pos++;
                continue;
            }
            if (isEnd(c)) {
                int end = pos;
                pos += c == '\r' && pos + 1 < text.length() && text.charAt(pos + 1) == '\n' ? 2 : 1;
                line++;
                fields.add(field.toString());
                return new Record(startLine, text.substring(start, end), fields, null);
            }
            if (c == '"') {
                return skipLine(startLine, start, "a double quote inside an unquoted field (enclose the field in "
                        + "double quotes and write the quote twice)");
            }
            field.append(c);
            fieldStarted = true;
            pos++;
        }
    }

    private static boolean isEnd(char c) {
        return c == '\n' || c == '\r';
    }

    /** A record with an error that reaches to the end of the current line. */
    private Record skipLine(long startLine, int start, String error) {
        while (pos < text.length() && !isEnd(text.charAt(pos))) {
            pos++;
        }
        int end = pos;
        if (pos < text.length()) {
            pos += text.charAt(pos) == '\r' && pos + 1 < text.length() && text.charAt(pos + 1) == '\n' ? 2 : 1;
            line++;
        }
        return new Record(startLine, text.substring(start, end), List.of(), error);
    }
}
