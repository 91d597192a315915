package dev.reel.provenance;

/**
 * The grid of watermark cells over a frame of {@code width × height} pixels:
 * {@value #SHORT_SIDE_CELLS} cells along the short side (fewer on frames under
 * {@code 2·}{@value #SHORT_SIDE_CELLS} pixels: one per two pixels), and along the
 * long side as many as keep the cells square. The grid is a function of the
 * frame's aspect ratio alone, not its size, so a resized copy of a marked frame has
 * the same grid and each cell covers the same part of the picture; that is how
 * detection survives a resize without searching over scales.
 *
 * <p>Pixel {@code x} belongs to the cell under its centre, {@code floor((x + ½)·cols / width)}.
 * At Reel's default 256×256 the cells are 8×8 pixels: each is one pixel of the
 * 32×32 model frame as the writer scales it up, and two H.264 4×4 transform blocks
 * wide. Cells of 4×4 pixels (64 on the short side) were measured too: twice the
 * z-score at the default encode, but after a re-encode at 0.75× (where they are 3
 * pixels wide and blur into each other) a minimum z of 3.0 against 5.9, and 8.6% more
 * bits against 3.8% (bench/RESULTS.md, "Watermark strength").
 */
final class CellGrid {
    static final int SHORT_SIDE_CELLS = 32;
    /** Frames with fewer cells than this on the short side cannot carry a mark. */
    static final int MIN_SHORT_SIDE_CELLS = 16;

    final int width, height, cols, rows;
    /** The cell column of each pixel column, and the cell row of each pixel row. */
    final int[] colOf, rowOf;

    private CellGrid(int width, int height, int cols, int rows) {
        this.width = width;
        this.height = height;
        this.cols = cols;
        this.rows = rows;
        colOf = new int[width];
        for (int x = 0; x < width; x++) {
            colOf[x] = (int) ((2L * x + 1) * cols / (2L * width));
        }
        rowOf = new int[height];
        for (int y = 0; y < height; y++) {
            rowOf[y] = (int) ((2L * y + 1) * rows / (2L * height));
        }
    }

    /** The grid of a frame, or null when the frame is too small to carry a mark. */
    static CellGrid of(int width, int height) {
        return of(width, height, SHORT_SIDE_CELLS);
    }

    /** {@link #of(int, int)} with another number of cells on the short side, for studies. */
    static CellGrid of(int width, int height, int shortSideCells) {
        int shortSide = Math.min(width, height);
        int cells = Math.min(shortSideCells, shortSide / 2);
        if (cells < MIN_SHORT_SIDE_CELLS) {
            return null;
        }
        int longCells = (int) Math.round((double) cells * Math.max(width, height) / shortSide);
        return width <= height ? new CellGrid(width, height, cells, longCells)
                : new CellGrid(width, height, longCells, cells);
    }

    /**
     * The grids to try on a frame of this size: {@link #of} for square frames; for
     * others also one cell more and one fewer along the long side, since a resize
     * that rounds to even sizes (1080 × 0.75 = 810, but 135 → 136) moves the aspect
     * ratio a little and can tip the rounding. Empty when the frame is too small.
     */
    static java.util.List<CellGrid> candidates(int width, int height, int shortSideCells) {
        CellGrid nominal = of(width, height, shortSideCells);
        if (nominal == null) {
            return java.util.List.of();
        }
        if (nominal.cols == nominal.rows) {
            return java.util.List.of(nominal);
        }
        java.util.List<CellGrid> out = new java.util.ArrayList<>(3);
        out.add(nominal);
        for (int d : new int[] {-1, 1}) {
            out.add(width >= height ? new CellGrid(width, height, nominal.cols + d, nominal.rows)
                    : new CellGrid(width, height, nominal.cols, nominal.rows + d));
        }
        return out;
    }

    int cells() {
        return cols * rows;
    }
}
