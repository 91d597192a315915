package dev.reel.cli;

import dev.reel.CpuInfo;
import dev.reel.Device;
import dev.reel.Reel;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code reel} command line. */
@Command(name = "reel", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Text-to-video generation on NVIDIA GPUs (and, slower, on the CPU).",
        subcommands = {Main.Info.class, Generate.class, Batch.class, Detect.class, Bench.class})
public final class Main implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests and embedding). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command line with Reel's error handling: one line on stderr and a documented exit code, no stack trace. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("reel: " + oneLine(e));
            line.getErr().flush();
            return line.getCommand() instanceof Detect ? Detect.ERROR : exitCode(e);
        });
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine line = e.getCommandLine();
            line.getErr().println("reel: " + e.getMessage() + " (see 'reel " + line.getCommandName() + " --help')");
            line.getErr().flush();
            return ExitCodes.USAGE;
        });
        return cl;
    }

    static int exitCode(Throwable e) {
        if (e instanceof Cli.UsageError || e instanceof IllegalArgumentException) {
            return e instanceof dev.reel.model.ModelFormatException ? ExitCodes.MODEL : ExitCodes.USAGE;
        }
        if (e instanceof dev.reel.model.ModelFormatException) {
            return ExitCodes.MODEL;
        }
        if (e instanceof Cli.IoError || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException) {
            return ExitCodes.IO;
        }
        if (e instanceof java.util.concurrent.CancellationException) {
            return ExitCodes.CANCELLED;
        }
        return ExitCodes.FAILED;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ').replace('\r', ' ');
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"reel " + Reel.version()};
        }
    }

    /** Backend, devices and build features. */
    @Command(name = "info", description = "Print the backend Reel would use, the devices it sees and how it was built.")
    static final class Info implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.println("Reel " + Reel.version());
            try (Reel reel = Reel.open()) {
                out.println("backend: " + reel.backend());
                out.println("device:  " + reel.device());
            }
            List<Device> cuda = Reel.cudaDevices();
            if (cuda.isEmpty()) {
                out.println("CUDA devices: none (" + Reel.cudaUnavailableReason() + ")");
            } else {
                out.println("CUDA devices:");
                cuda.forEach(d -> out.println("  " + d));
            }
            CpuInfo cpu = Reel.cpu();
            out.printf("CPU: %d logical cores, %d threads for kernels, AVX2 %s, AVX-512 %s, AVX512_BF16 %s%n",
                    cpu.logicalCores(), cpu.threads(), yes(cpu.avx2()), yes(cpu.avx512f()), yes(cpu.avx512bf16()));
            out.println("build: CUDA backend " + (Reel.builtWithCuda() ? "compiled in (sm_80, sm_90, compute_90 PTX)"
                    : "not compiled (no nvcc at build time)"));
            out.flush();
            return 0;
        }

        private static String yes(boolean b) {
            return b ? "yes" : "no";
        }
    }
}
