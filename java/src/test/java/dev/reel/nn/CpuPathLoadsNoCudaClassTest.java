package dev.reel.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU path never loads the CUDA classes (whose JNI libraries need the NVIDIA driver):
 * a fresh JVM runs {@link CpuPathProbe} with class loading logged, and no class of
 * {@code org.bytedeco.cuda}, nor Reel's cuBLASLt and stream classes, appears in the log.
 */
class CpuPathLoadsNoCudaClassTest {
    @TempDir
    Path temp;

    @Test
    void aCpuForwardAndGenerationLoadNoCudaClass() throws IOException, InterruptedException {
        Path log = temp.resolve("classes.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xlog:class+load=info:file=" + log, "-cp",
                System.getProperty("java.class.path"), CpuPathProbe.class.getName())
                .redirectErrorStream(true).redirectOutput(temp.resolve("out.txt").toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the probe JVM did not finish in 5 minutes");
        String output = Files.readString(temp.resolve("out.txt"));
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("CPU path probe finished"), output);
        List<String> loaded = Files.readAllLines(log);
        assertTrue(loaded.stream().anyMatch(l -> l.contains("dev.reel.nn.Gemm ")), "the log shows no Gemm: " + log);
        List<String> cuda = loaded.stream()
                .filter(l -> l.contains("org.bytedeco.cuda.") || l.contains("dev.reel.nn.CudaGemm")
                        || l.contains("dev.reel.nn.CudaStream") || l.contains("VideoModel$CudaSide"))
                .toList();
        assertTrue(cuda.isEmpty(), "the CPU path loaded CUDA classes: " + cuda);
    }
}
