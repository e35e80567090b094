package model

import "unsafe"

func flowSize() uintptr { return unsafe.Sizeof(Flow{}) }
