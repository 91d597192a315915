package dev.reel.cli;

import dev.reel.video.Video;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;

/**
 * One PNG grid with a frame of each variation, labelled with its seed, so that a
 * person picks a variation at a glance. Labels use a built-in 3×5 digit font: no
 * system font is needed (a fresh headless machine has none).
 */
final class ContactSheet {
    private static final String[] DIGITS = {
        "111101101101111", "010110010010111", "111001111100111", "111001111001111", "101101111001001",
        "111100111001111", "111100111101111", "111001001001001", "111101111101111", "111101111001111",
    };
    private static final int CELL_LABEL = 24;  // pixels of label band under each picture

    private ContactSheet() {}

    /**
     * Writes the middle frame of each video, enlarged by the least whole factor that
     * makes its long side at least {@code tile} pixels, in a near-square grid; {@code mark} gets the finished picture (one frame)
     * and returns what is written, so that the sheet can carry a watermark too.
     */
    static void write(List<Video> videos, List<Long> seeds, int tile, UnaryOperator<Video> mark, Path file)
            throws IOException {
        int n = videos.size();
        int cols = (int) Math.ceil(Math.sqrt(n));
        int rows = (n + cols - 1) / cols;
        Video first = videos.get(0);
        int longSide = Math.max(first.width(), first.height());
        int scale = Math.max(1, (tile + longSide - 1) / longSide);
        int w = first.width() * scale, h = first.height() * scale;
        int pad = 8;
        BufferedImage img = new BufferedImage(cols * (w + pad) + pad, rows * (h + CELL_LABEL + pad) + pad,
                BufferedImage.TYPE_INT_RGB);
        fill(img, 0, 0, img.getWidth(), img.getHeight(), 0x202020);
        for (int i = 0; i < n; i++) {
            Video v = videos.get(i);
            int x0 = pad + (i % cols) * (w + pad), y0 = pad + (i / cols) * (h + CELL_LABEL + pad);
            int frame = v.frames() / 2;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.setRGB(x0 + x, y0 + y, v.pixel(frame, x / scale, y / scale) & 0xFFFFFF);
                }
            }
            label(img, Long.toString(seeds.get(i)), x0 + 2, y0 + h + 6, 3);
        }
        byte[] rgb = new byte[img.getWidth() * img.getHeight() * 3];
        for (int y = 0, i = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++, i += 3) {
                int p = img.getRGB(x, y);
                rgb[i] = (byte) (p >> 16);
                rgb[i + 1] = (byte) (p >> 8);
                rgb[i + 2] = (byte) p;
            }
        }
        byte[] marked = mark.apply(Video.ofRgb(rgb, 1, img.getHeight(), img.getWidth(), first.frameRate())).rgb();
        for (int y = 0, i = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++, i += 3) {
                img.setRGB(x, y, (marked[i] & 0xff) << 16 | (marked[i + 1] & 0xff) << 8 | marked[i + 2] & 0xff);
            }
        }
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer in this Java runtime");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void label(BufferedImage img, String text, int x, int y, int px) {
        for (int c = 0; c < text.length(); c++) {
            char ch = text.charAt(c);
            if (ch == '-') {
                fill(img, x + px, y + 2 * px, 2 * px, px, 0xFFFFFF);
            } else if (ch >= '0' && ch <= '9') {
                String bits = DIGITS[ch - '0'];
                for (int r = 0; r < 5; r++) {
                    for (int k = 0; k < 3; k++) {
                        if (bits.charAt(r * 3 + k) == '1') {
                            fill(img, x + k * px, y + r * px, px, px, 0xFFFFFF);
                        }
                    }
                }
            }
            x += 4 * px;
        }
    }

    private static void fill(BufferedImage img, int x, int y, int w, int h, int rgb) {
        for (int j = Math.max(0, y); j < Math.min(img.getHeight(), y + h); j++) {
            for (int i = Math.max(0, x); i < Math.min(img.getWidth(), x + w); i++) {
                img.setRGB(i, j, rgb);
            }
        }
    }
}
