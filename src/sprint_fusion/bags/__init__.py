"""rosbag2 / ROS 1 bag reading and writing (rosbags), no ROS install needed."""
