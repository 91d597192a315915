/**
 * Model folders: the safetensors weights ({@link dev.reel.model.SafeTensors}), the
 * architecture and sizes ({@link dev.reel.model.ModelConfig}), the prompt grammar and
 * tokenizer ({@link dev.reel.model.Vocabulary}), and the folder that holds them
 * ({@link dev.reel.model.ModelFolder}). Everything read from a file is checked before use;
 * a file that does not hold is a {@link dev.reel.model.ModelFormatException} naming the
 * file, the tensor or field, and the problem. JSON is read by Jackson under read limits.
 */
package dev.reel.model;
