# Copyright (c) mmzs3 contributors. All rights reserved.
