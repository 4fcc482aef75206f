package org.fiberswitch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code fiberswitch}: the top-level command. */
@Command(name = "fiberswitch", mixinStandardHelpOptions = true, version = "fiberswitch 0.1.0-SNAPSHOT",
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
}
