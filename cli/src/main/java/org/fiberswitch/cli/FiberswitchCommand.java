package org.fiberswitch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code fiberswitch}: the top-level command. */
@Command(name = "fiberswitch", mixinStandardHelpOptions = true, versionProvider = FiberswitchCommand.JarVersion.class,
        description = "Native code on stackful fibers, driven from Java.",
        subcommands = {DoctorCommand.class, ConformanceCommand.class, BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class FiberswitchCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FiberswitchCommand()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The version the build wrote into the jar's manifest, so it is never written twice. */
    static final class JarVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = FiberswitchCommand.class.getPackage().getImplementationVersion();
            return new String[] {"fiberswitch " + (v == null ? "(version unknown: not run from the built jar)" : v)};
        }
    }
}
