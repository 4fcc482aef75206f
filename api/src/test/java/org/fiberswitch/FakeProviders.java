package org.fiberswitch;

import org.fiberswitch.spi.SwitchPort;
import org.fiberswitch.spi.SwitchProvider;

/** Test-only providers that discovery finds through META-INF/services in the api's test resources. */
final class FakeProviders {
    private FakeProviders() {
    }

    /** Made for a platform no JVM reports. */
    public static final class ForAnotherPlatform implements SwitchProvider {
        @Override
        public String id() {
            return "fake-other-platform";
        }

        @Override
        public int priority() {
            return 1000;
        }

        @Override
        public boolean isSupported() {
            return false;
        }

        @Override
        public boolean isAvailable() {
            return false;
        }

        @Override
        public Throwable unavailabilityCause() {
            return new UnsupportedOperationException("fake platform");
        }

        @Override
        public SwitchPort port() {
            throw new IllegalStateException("not available");
        }
    }

    /** Made for this platform, but its library does not load. */
    public static final class WithoutLibrary implements SwitchProvider {
        @Override
        public String id() {
            return "fake-no-library";
        }

        @Override
        public int priority() {
            return 1000;
        }

        @Override
        public boolean isSupported() {
            return true;
        }

        @Override
        public boolean isAvailable() {
            return false;
        }

        @Override
        public Throwable unavailabilityCause() {
            return new UnsatisfiedLinkError("libfake.so: cannot open shared object file");
        }

        @Override
        public SwitchPort port() {
            throw new IllegalStateException("not available", unavailabilityCause());
        }
    }

    /** Its platform check throws: discovery must say so, not call it "another platform". */
    public static final class ThrowingSupportCheck implements SwitchProvider {
        @Override
        public String id() {
            return "fake-throwing-check";
        }

        @Override
        public int priority() {
            return 1000;
        }

        @Override
        public boolean isSupported() {
            throw new IllegalStateException("cannot read /etc/fake-release");
        }

        @Override
        public boolean isAvailable() {
            return false;
        }

        @Override
        public Throwable unavailabilityCause() {
            return null;
        }

        @Override
        public SwitchPort port() {
            throw new IllegalStateException("not available");
        }
    }
}
