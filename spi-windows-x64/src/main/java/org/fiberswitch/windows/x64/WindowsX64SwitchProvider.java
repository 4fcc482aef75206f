package org.fiberswitch.windows.x64;

import com.sun.jna.Pointer;
import org.fiberswitch.spi.NativePort;
import org.fiberswitch.spi.NativeStack;
import org.fiberswitch.spi.NativeSwitchProvider;
import org.fiberswitch.spi.StackMemory;
import org.fiberswitch.spi.SwitchPort;

/**
 * The fiberswitch provider for Windows on x86-64 (Microsoft x64 ABI), id {@value #ID}.
 *
 * <p>The library {@code win32-x86-64/fiberswitch.dll} (built from
 * {@code src/main/asm/fiberswitch_x86_64_ms_pe_gas.S}, no imports, no CRT) saves rbx, rbp, rdi, rsi,
 * r12-r15, the full 128 bits of xmm6-xmm15, MXCSR and the x87 control word, and the TEB fields
 * StackBase, StackLimit, DeallocationStack, FiberData and ExceptionList (see {@link TebMode}: lazily
 * committed stacks get their real bounds, fully committed ones the StackLimit trick unless
 * {@code -Dfiberswitch.windows.teb=full}). Stacks come from VirtualAlloc, shaped like thread stacks
 * ({@link WindowsStackMemory}). What Windows adds to the shared
 * {@link NativeSwitchProvider} is only that stack memory and the TEB slots.
 */
public final class WindowsX64SwitchProvider extends NativeSwitchProvider {
    /** This provider's id. */
    public static final String ID = "windows-x64-win64";

    /** The C name of the DLL's TEB probe. */
    static final String READ_TEB = "fiberswitch_probe_read_teb";

    public WindowsX64SwitchProvider() {
        super(ID, "win32-x86-64", "Windows x86-64");
    }

    @Override
    protected StackMemory stackMemory() {
        return new WindowsStackMemory(WindowsStackMemory.VirtualMemory.kernel32());
    }

    @Override
    protected void initPortSlots(long fcb, NativeStack stack) {
        long[] slots = TebMode.forStack(stack, System.getProperty(TebMode.PROPERTY)).slots(stack);
        Pointer p = new Pointer(fcb);
        for (int i = 0; i < slots.length; i++) {
            p.setLong(TebMode.slotOffset(i), slots[i]);
        }
    }

    /**
     * The calling thread's TEB field, read by the DLL: 0 StackBase, 1 StackLimit, 2
     * DeallocationStack, 3 FiberData, 4 GuaranteedStackBytes, 5 ExceptionList. For checks of what a
     * fiber and its thread see.
     *
     * @param port this provider's port (as {@link #port()} returns it)
     * @throws IllegalArgumentException for a field outside 0-5, or a port of another provider
     */
    public static long readTeb(SwitchPort port, int field) {
        if (field < 0 || field > 5) {
            throw new IllegalArgumentException("TEB field " + field + " is not 0-5");
        }
        if (!(port instanceof NativePort n) || !n.id().equals(ID)) {
            throw new IllegalArgumentException(port + " is not a port of " + ID);
        }
        return n.invoke(READ_TEB, field);
    }
}
