package dev.reel.video;

import org.bytedeco.ffmpeg.global.swscale;

/**
 * How frames are resized. {@link #NEAREST} is computed exactly in Java (each output
 * pixel copies the source pixel under its centre, so an integer upscale turns each
 * pixel into a block with no new colours); the others are libswscale's filters.
 */
public enum Scaling {
    /** Copies the nearest source pixel: pixel-exact, crisp blocks on upscaling. */
    NEAREST(swscale.SWS_POINT),
    /** Linear interpolation: soft, no ringing. */
    BILINEAR(swscale.SWS_BILINEAR),
    /** Cubic interpolation: sharper than bilinear, slight ringing on hard edges. */
    BICUBIC(swscale.SWS_BICUBIC),
    /** Lanczos (3 lobes): the sharpest smooth filter, rings at hard edges. */
    LANCZOS(swscale.SWS_LANCZOS);

    final int swsFlag;

    Scaling(int swsFlag) {
        this.swsFlag = swsFlag;
    }
}
