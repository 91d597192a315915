package dev.reel.pipeline;

import dev.reel.video.Video;

/** One video of a request: the prompt and seed that made it, which variation it is, its frames. */
public record GeneratedVideo(String prompt, long seed, int variation, Video video, GenerationRequest request) {}
