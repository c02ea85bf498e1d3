import { assertSupportedNode } from '@scale-lab/service';

assertSupportedNode();
