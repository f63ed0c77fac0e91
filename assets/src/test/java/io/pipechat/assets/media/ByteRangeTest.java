package io.pipechat.assets.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ByteRangeTest {

    static ByteRange.Parsed parse(String h, long size) {
        return ByteRange.parse(Optional.ofNullable(h), size);
    }

    @Test
    void singleRangesAreClampedToTheBlob() {
        assertThat(parse("bytes=0-9", 100)).isEqualTo(new ByteRange.Partial(new ByteRange(0, 9)));
        assertThat(parse("bytes=90-200", 100)).isEqualTo(new ByteRange.Partial(new ByteRange(90, 99)));
        assertThat(parse("bytes=50-", 100)).isEqualTo(new ByteRange.Partial(new ByteRange(50, 99)));
        assertThat(parse("bytes=-10", 100)).isEqualTo(new ByteRange.Partial(new ByteRange(90, 99)));
        assertThat(parse("bytes=-1000", 100)).isEqualTo(new ByteRange.Partial(new ByteRange(0, 99)));
    }

    @Test
    void rangesOutsideTheBlobAreUnsatisfiable() {
        assertThat(parse("bytes=100-", 100)).isInstanceOf(ByteRange.Unsatisfiable.class);
        assertThat(parse("bytes=-0", 100)).isInstanceOf(ByteRange.Unsatisfiable.class);
        assertThat(parse("bytes=0-0", 0)).isInstanceOf(ByteRange.Unsatisfiable.class);
    }

    @Test
    void malformedOrMultipleRangesAreIgnored() {
        for (String h : new String[] {null, "items=0-1", "bytes=5-1", "bytes=a-b", "bytes=0-1,3-4", "bytes=-", "bytes=1"}) {
            assertThat(parse(h, 100)).as(String.valueOf(h)).isInstanceOf(ByteRange.Whole.class);
        }
    }
}
