package org.fiberswitch.spi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The longest mount point decides whether a path is on a noexec file system. */
class NoexecMountsTest {
    private static final List<String> MOUNTINFO = List.of(
            "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
            "30 22 0:26 / /tmp rw,nosuid,nodev,noexec,relatime shared:2 - tmpfs tmpfs rw",
            "31 30 0:27 / /tmp/exec rw,relatime shared:3 - tmpfs tmpfs rw",
            "32 22 0:28 / /home/a\\040b rw,noexec,relatime shared:4 - tmpfs tmpfs rw");

    @Test
    void theLongestMountPointDecides() {
        assertTrue(NoexecMounts.isNoexec("/tmp/fiberswitch-x/libfiberswitch.so", MOUNTINFO));
        assertFalse(NoexecMounts.isNoexec("/tmp/exec/libfiberswitch.so", MOUNTINFO), "an exec mount inside /tmp");
        assertFalse(NoexecMounts.isNoexec("/var/cache/lib.so", MOUNTINFO), "the root file system");
        assertFalse(NoexecMounts.isNoexec("/tmpfoo/lib.so", MOUNTINFO), "a prefix that is not a path component");
        assertTrue(NoexecMounts.isNoexec("/home/a b/lib.so", MOUNTINFO), "escaped spaces in mount points");
    }
}
