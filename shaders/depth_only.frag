#version 330 core
// Passes that write only the depth buffer: shadow maps, and the blocks the colour pass marks (renderer._colour_pass).
void main() {}
