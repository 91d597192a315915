package dev.reel.video;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Reads the top-level box sequence of an ISO-BMFF (MP4) file. */
final class Mp4Boxes {
    private Mp4Boxes() {}

    /** Whether the first {@code moov} box comes before the first {@code mdat} box. */
    static boolean moovBeforeMdat(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = 0, size = ch.size();
            ByteBuffer header = ByteBuffer.allocate(16);
            while (pos + 8 <= size) {
                header.clear().limit(16);
                ch.read(header, pos);
                header.flip();
                if (header.remaining() < 8) {
                    return false;
                }
                long boxSize = Integer.toUnsignedLong(header.getInt(0));
                String type = new String(new byte[] {header.get(4), header.get(5), header.get(6), header.get(7)},
                        java.nio.charset.StandardCharsets.ISO_8859_1);
                if (boxSize == 1 && header.remaining() >= 16) {
                    boxSize = header.getLong(8);
                } else if (boxSize == 0) {
                    boxSize = size - pos;
                }
                if (type.equals("moov")) {
                    return true;
                }
                if (type.equals("mdat") || boxSize < 8) {
                    return false;
                }
                pos += boxSize;
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
